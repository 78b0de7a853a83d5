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
#include <errno.h>

static inline int lutscale_averror(int errnum) { return AVERROR(errnum); }
static inline int lutscale_averror_eof(void) { return AVERROR_EOF; }
static inline int lutscale_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int lutscale_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t lutscale_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational lutscale_time_base_q(void) { return AV_TIME_BASE_Q; }

/// av_err2str is a macro around a compound literal; this writes into the caller's buffer instead.
static inline const char *lutscale_err2str(int errnum, char *buffer, size_t size) {
    return av_make_error_string(buffer, size, errnum);
}

#endif
