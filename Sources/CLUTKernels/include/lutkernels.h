// The LUT engine's hot loops, one set per instruction-set tier, chosen at run time (as dav1d and zimg do).
//
// Every tier is the same C source (kernels.inc) compiled for another target: the portable baseline (SSE2 on
// x86-64, NEON or scalar elsewhere), AVX2 (x86-64-v3), AVX-512 (x86-64-v4) and AVX-512 with VBMI and VNNI (Ice Lake,
// Zen 4). The Swift engine (LUTEngine's PlanStage) drives them; tests force each tier the CPU has and compare it
// with a slow reference.
#ifndef LUTKERNELS_H
#define LUTKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Windows handled per walk: the simplex walk of up to this many consecutive windows of one row.
enum { LUT_WALK_WINDOWS = 64 };

/// Per window: the 5 weights of its simplex walk (summing to `one`) and the byte offsets in a table of the walk's
/// first 4 vertices (the fifth, cell corner 1111, is the first plus `far`).
typedef struct {
    int16_t weight[5][LUT_WALK_WINDOWS];
    int32_t vertex[4][LUT_WALK_WINDOWS];
} lut_walk;

/// One lookup of a window group: its table, the record of its anchor for the window at column 0 (the window at
/// column x adds x records) and, where every row is widened (accumulate's lanes 2) or the table has one output
/// (accumulate_single), the integer its weights are multiplied by (its table's unit).
typedef struct {
    const void *table;
    void *target;
    int32_t multiplier;
} lut_lookup;

enum { LUT_MAX_RECORD_SETS = 16 };

/// One LR row of sums to samples: value = (sum + bias [+ anchor << shift]) / 2^shift, rounded half to even,
/// clamped to 0...max_value, written as `upscale` x `upscale` blocks into `rows` (NULL: that block row is
/// outside the band), cropped to `width` samples. The sum is that of the `sets` record rows, each times its
/// multiplier (32-bit records only; 16-bit ones come as one set times 1). Records are cleared on the way for the
/// next row.
typedef struct {
    void *records[LUT_MAX_RECORD_SETS];
    int32_t multipliers[LUT_MAX_RECORD_SETS];
    int32_t sets;
    const void *anchors;
    /// Scratch room for 16 samples per pixel.
    void *samples;
    void *rows[4];
    int32_t count;
    int32_t width;
    int32_t shift;
    int32_t bias;
    int32_t max_value;
    int32_t residual;
    int32_t upscale;
    /// Records are 16 x int32 (else 16 x int16).
    int32_t wide;
    /// The 32-bit records are in pair order (accumulate's `wide` sums of 16-lane rows).
    int32_t paired;
    /// Records are one int32 per pixel (accumulate_single's; `upscale` is 1, `sets` 1, `wide` ignored).
    int32_t single;
    /// 1 (8-bit samples) or 2.
    int32_t sample_bytes;
} lut_emit_job;

/// One output row of an imlut model (docs/imlut.md), or a strip of it: the sum over k of W_k(x) C_k(x), for
/// first <= x < first + count (`first` a multiple of 16), written as samples[x] (clamped to 0...max_value, rounded
/// half to even, as floats_to_samples); `sum` is scratch for the candidates before the last, every float pointer
/// with room for count rounded up to 16. W_k = (1 - fraction) low[k][x] + fraction high[k][x] (the weights of the
/// two node rows around the row's phase); C_k = the sum over t < taps[k] of weights[k][t] x rows[k][t][x] (the
/// candidate's horizontal pass of its vertical taps' rows), or `constant` where taps[k] is 0.
enum { LUT_MIX_INTERPOLATORS = 8, LUT_MIX_TAPS = 8 };
typedef struct {
    int32_t interpolators;
    int32_t first;
    int32_t count;
    float fraction;
    float constant;
    const float *low[LUT_MIX_INTERPOLATORS];
    const float *high[LUT_MIX_INTERPOLATORS];
    int32_t taps[LUT_MIX_INTERPOLATORS];
    const float *rows[LUT_MIX_INTERPOLATORS][LUT_MIX_TAPS];
    float weights[LUT_MIX_INTERPOLATORS][LUT_MIX_TAPS];
    float *sum;
    /// The output row (column 0), of `sample_bytes` (1 or 2) per sample.
    void *samples;
    int32_t sample_bytes;
    int32_t max_value;
} lut_mix_job;

typedef struct {
    /// Reflect-padded row of an input plane to keys and cells: value v = min(src[column_map[j]], max_value),
    /// then table[v] = key << 16 | cell. The map steps by at most 1 (so runs of consecutive columns are loaded as
    /// they are).
    void (*fill_cells)(const void *src, int32_t sample_bytes, const int32_t *column_map, int32_t count,
                       const uint32_t *table, int32_t max_value, int16_t *keys, uint8_t *cells);
    /// The same for levels a power of two apart (2^cell_shift samples at this depth) with fractions exact in the
    /// plan's fixed point: cell = v >> cell_shift, key = ((v mod 2^cell_shift) << fraction_shift << 2) ^ 0x8000,
    /// computed rather than looked up; `pad` columns each side, column_map[j] = j - pad between them.
    void (*fill_cells_uniform)(const void *src, int32_t sample_bytes, const int32_t *column_map, int32_t pad,
                               int32_t count, int32_t cell_shift, int32_t fraction_shift, int32_t max_value,
                               int16_t *keys, uint8_t *cells);
    /// Sorts the windows at columns first..<first+count (count <= LUT_WALK_WINDOWS) of one row, whose 4 pixels lie
    /// at element offsets `window` from a window's origin in `keys` and `cells`, and fills `walk`. `strides` is
    /// the table stride of a cell step of each window pixel. Reads up to 15 keys and cells past the last window.
    void (*prepare_walk)(const int16_t *keys, const uint8_t *cells, const int32_t window[4], int32_t first,
                         int32_t count, const int32_t strides[4], int16_t one, lut_walk *walk);
    /// Adds each lookup's 5 weighted table rows to its anchor's record for `count` windows from column `first`.
    /// [lanes][sixteen]: lanes 0 = 16-bit records (wrapping), 1 = 32-bit records adding each lookup's 16-bit sum
    /// (one set of records per table unit, multiplied at emit), 2 = 32-bit records adding every row widened;
    /// table rows of 8 or 16 int16 values. Wide sums of 16-lane rows leave each record in pair order: record lane
    /// j holds row lane 2j for j < 8 and 2(j - 8) + 1 for j >= 8 (what multiply-adds of pairs give without a
    /// shuffle); `paired` tells emit_row and records_to_floats.
    void (*accumulate[3][2])(const lut_walk *walk, int32_t first, int32_t count, int32_t far,
                             const lut_lookup *lookups, int32_t lookup_count);
    /// The same for tables of one output (x1 stages, such as an imlut model's pre-stages): rows of one int16, one
    /// int32 record per pixel, each lookup's sum times its multiplier. In every lane width the plan proves its
    /// total fits: 32-bit sums give the same values, at a 16th of the record traffic of 16-lane records. A lookup
    /// whose table starts 2 bytes after the previous one's (a window group's members, interleaved) is read with it,
    /// 4 bytes at a time. Tables are readable 2 bytes past their last row.
    void (*accumulate_single)(const lut_walk *walk, int32_t first, int32_t count, int32_t far,
                              const lut_lookup *lookups, int32_t lookup_count);
    void (*emit_row)(const lut_emit_job *job);

    /// Classic resampling (LUTEngine's `ResamplePlan`), in float without fused multiply-adds so that every tier
    /// gives the same bits. Samples (8-bit, or 16-bit when sample_bytes is 2) to floats:
    void (*samples_to_floats)(const void *src, int32_t sample_bytes, int32_t count, float *dst);
    /// Horizontal pass: output block b (8 samples) = sum over j < window of line[starts[b] + j] x the 8 weights at
    /// weights[(b x window + j) x 8].
    void (*resample_row)(const float *line, const int32_t *starts, const float *weights, int32_t blocks,
                         int32_t window, float *out);
    /// The same pass in blocks of 16 samples, each reading 32 source samples from starts[b]: sample i of block b =
    /// the sum over t < taps of line[starts[b] + offsets[16 b + i] + t] x weights[(b x taps + t) x 16 + i], with
    /// offsets[16 b + i] + taps <= 32. Those are resample_row's nonzero terms in its order, so the bits are the
    /// same, from one permute per tap instead of a multiply-add per window position. NULL in tiers without float
    /// permutes.
    void (*resample_row16)(const float *line, const int32_t *starts, const int32_t *offsets, const float *weights,
                           int32_t blocks, int32_t taps, float *out);
    /// Vertical pass: sum[x] = sum over k < taps of weights[k] x first[k x stride + x], for x < count (a multiple of 8).
    void (*resample_column)(const float *first, intptr_t stride, const float *weights, int32_t taps, int32_t count,
                            float *sum);
    /// Sums to samples: clamped to 0...max_value, rounded half to even.
    void (*floats_to_samples)(const float *sum, int32_t max_value, int32_t sample_bytes, int32_t count, void *dst);

    /// The arbitrary-scale model's steps after its table sums (accumulate's records of one LR row). Records to
    /// floats, one plane per lane: out[o x stride + x] = scale x the sum over sets s of records[s][x][o] x
    /// multipliers[s] (16 lanes of int32, or of int16 when `wide` is 0), for x < count; the records are cleared for
    /// the next row; `paired`: the 32-bit records are in pair order (see accumulate), put back in order here.
    void (*records_to_floats)(void *const *records, const int32_t *multipliers, int32_t sets, int32_t wide,
                              int32_t paired, int32_t count, float scale, float *out, intptr_t stride);
    /// The nearest candidate folded into the constant one, for each of `nodes` (N x N) nodes and LR column x < count:
    /// the constant's plane (node j, lane `into`) becomes itself x `level` + the nearest's plane (lane K - 1) x
    /// `scale` x line[x] (line: the LR row; both candidates are constant over an LR pixel's cell, so their weights
    /// blend as one). Plane (j, k) is at values[(j K + k) x value_stride], K = `interpolators`.
    void (*fold_nearest)(float *values, intptr_t value_stride, int32_t nodes, int32_t interpolators, int32_t into,
                         float level, float scale, const float *line, int32_t count);
    /// Node values at each output column x < count, interpolated across the N node columns: plane (jy, k) for k <
    /// `blended`, at planes[(jy K + k) x stride + x], = the sum over jx < N of weights[jx x stride + x] x
    /// values[((jy N + jx) K + k) x value_stride + anchor[x]], K = `interpolators`. Anchors of 16 consecutive
    /// columns span at most 16 (scales of 1 and up); value planes are readable 16 floats past the last anchor.
    void (*blend_columns)(const float *values, intptr_t value_stride, const int32_t *anchor, const float *weights,
                          int32_t nodes, int32_t interpolators, int32_t blended, int32_t count, float *planes,
                          intptr_t stride);
    void (*mix_row)(const lut_mix_job *job);
} lut_kernels;

enum lut_tier { LUT_TIER_BASELINE = 0, LUT_TIER_AVX2 = 1, LUT_TIER_AVX512 = 2, LUT_TIER_AVX512ICL = 3 };

/// The kernels of `tier`, or NULL when this build lacks it or this CPU (and OS) cannot run it.
const lut_kernels *lut_kernels_for(int32_t tier);

#ifdef __cplusplus
}
#endif

#endif
