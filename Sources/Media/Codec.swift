import CFFmpeg

/// What a codec says to a send: taken, or full until its output is received (FFmpeg's EAGAIN).
public enum SendResult: Equatable, Sendable {
    case accepted
    case mustReceiveFirst
}

/// What a codec gives on receive: an item, nothing until more input (EAGAIN), or nothing ever again (EOF).
public enum ReceiveResult<Item> {
    case item(Item)
    case needsInput
    case endOfStream
}

/// Owns an AVCodecContext; frees it in deinit.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    init(codec: UnsafePointer<AVCodec>) throws(MediaError) {
        guard let context = avcodec_alloc_context3(codec) else { throw .outOfMemory("codec context") }
        pointer = context
    }

    deinit {
        var owned: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&owned)
    }
}

/// Owns an AVDictionary of options; what FFmpeg leaves in it after an open call are the unused ones.
final class OptionDictionary {
    var pointer: OpaquePointer?

    init(_ options: [String: String]) throws(MediaError) {
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            try MediaError.check(av_dict_set(&pointer, key, value, 0), "setting option \(key)")
        }
    }

    deinit { av_dict_free(&pointer) }

    var keys: [String] {
        var keys: [String] = []
        var entry: UnsafeMutablePointer<AVDictionaryEntry>?
        while let next = av_dict_get(pointer, "", entry, AV_DICT_IGNORE_SUFFIX) {
            keys.append(String(cString: next.pointee.key))
            entry = next
        }
        return keys
    }
}
