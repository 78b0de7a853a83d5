// The FFmpeg headers plus static inline stand-ins for the macros Swift cannot import.
#ifndef LUTSCALE_CFFMPEG_SHIM_H
#define LUTSCALE_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/display.h>
#include <libavutil/mastering_display_metadata.h>
#include <errno.h>
#include <limits.h>

static inline int lutscale_averror(int errnum) { return AVERROR(errnum); }
static inline int lutscale_averror_eof(void) { return AVERROR_EOF; }
static inline int lutscale_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int lutscale_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int lutscale_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int64_t lutscale_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational lutscale_time_base_q(void) { return AV_TIME_BASE_Q; }

/// av_err2str is a macro around a compound literal; this writes into the caller's buffer instead.
static inline const char *lutscale_err2str(int errnum, char *buffer, size_t size) {
    return av_make_error_string(buffer, size, errnum);
}

/// AVFrame.data / linesize import as 8-element tuples; these index them.
static inline uint8_t *lutscale_frame_data(const AVFrame *frame, int plane) { return frame->data[plane]; }
static inline int lutscale_frame_linesize(const AVFrame *frame, int plane) { return frame->linesize[plane]; }

/// pkt_duration is the frame duration field in libavutil 57 (renamed `duration` in 58); one place to change.
static inline int64_t lutscale_frame_duration(const AVFrame *frame) { return frame->pkt_duration; }
static inline void lutscale_frame_set_duration(AVFrame *frame, int64_t duration) { frame->pkt_duration = duration; }

/// sws_scale on one plane: its slice arguments are arrays of plane pointers, awkward to build in Swift.
static inline int lutscale_sws_scale_plane(struct SwsContext *context, const uint8_t *source, int sourceStride,
                                           int sourceHeight, uint8_t *destination, int destinationStride) {
    const uint8_t *const sources[4] = { source, NULL, NULL, NULL };
    const int sourceStrides[4] = { sourceStride, 0, 0, 0 };
    uint8_t *const destinations[4] = { destination, NULL, NULL, NULL };
    const int destinationStrides[4] = { destinationStride, 0, 0, 0 };
    return sws_scale(context, sources, sourceStrides, 0, sourceHeight, destinations, destinationStrides);
}

/// The layout av_frame_get_buffer uses, for frames whose planes share one pooled buffer: fills `linesizes` (rows
/// padded to multiples of `align`) and `planeSizes`, returns the buffer size or a negative AVERROR.
static inline int lutscale_image_layout(enum AVPixelFormat format, int width, int height, int align,
                                        int linesizes[4], ptrdiff_t planeSizes[4]) {
    int code = av_image_check_size(width, height, 0, NULL);
    if (code < 0) return code;
    for (int w = FFALIGN(width, align); ; w += align) {
        code = av_image_fill_linesizes(linesizes, format, w);
        if (code < 0) return code;
        int aligned = 1;
        for (int i = 0; i < 4; i++) if (linesizes[i] % align) aligned = 0;
        if (aligned) break;
    }
    ptrdiff_t strides[4] = { linesizes[0], linesizes[1], linesizes[2], linesizes[3] };
    size_t sizes[4];
    code = av_image_fill_plane_sizes(sizes, format, height, strides);
    if (code < 0) return code;
    size_t total = 0;
    for (int i = 0; i < 4; i++) { planeSizes[i] = (ptrdiff_t)sizes[i]; total += sizes[i]; }
    /* Slack past the last row, as av_frame_get_buffer leaves, for SIMD reads a little beyond a row's end. */
    total += 16 + align - 1;
    return total > INT_MAX ? AVERROR(EINVAL) : (int)total;
}

/// Gives `frame` the planes laid out by lutscale_image_layout inside `buffer` (the frame takes the reference).
static inline void lutscale_frame_attach(AVFrame *frame, AVBufferRef *buffer, const int linesizes[4],
                                         const ptrdiff_t planeSizes[4]) {
    frame->buf[0] = buffer;
    uint8_t *next = buffer->data;
    for (int i = 0; i < 4 && planeSizes[i] > 0; i++) {
        frame->data[i] = next;
        frame->linesize[i] = linesizes[i];
        next += planeSizes[i];
    }
    frame->extended_data = frame->data;
}

#endif
