import LUTEngine
import Media
import VideoCore

/// How the planes of a stream's pictures go through the upscaler: whole, or field by field for interlaced video, so
/// that lines taken at different times are never mixed into one (combing smeared into every output line).
enum FieldSplit: Sendable, Equatable {
    /// Progressive: each plane whole.
    case frame
    /// Interlaced and kept so: each field of a plane into the same field of the output plane.
    case fields
    /// Deinterlaced: the field shown first (the bottom one when `bottom`) into the whole output plane; the other
    /// field is dropped, so motion stays smooth at the input's frame rate.
    case firstField(bottom: Bool)

    init(_ order: FieldOrder, deinterlace: Bool) {
        switch order {
        case .progressive: self = .frame
        case .topFieldFirst, .bottomFieldFirst: self = deinterlace ? .firstField(bottom: order == .bottomFieldFirst) : .fields
        }
    }

    /// What a stream of `order` becomes, for the encoder and the container.
    func outputOrder(of order: FieldOrder) -> FieldOrder { self == .fields ? order : .progressive }

    /// The size the upscaler is planned for, for a plane of `size` in the input (or, `output`, in the output).
    func planned(_ size: PlaneSize, output: Bool) -> PlaneSize {
        switch self {
        case .frame: size
        case .fields: PlaneSize(width: size.width, height: size.height / 2)
        case let .firstField(bottom): output ? size : PlaneSize(width: size.width, height: (size.height + (bottom ? 0 : 1)) / 2)
        }
    }

    /// Plane `plane` of `source` and of `target`, as the pairs the upscaler maps one into the other.
    func pairs(_ plane: Int, of source: VideoFrame, into target: VideoFrame) throws(PipelineError) -> [(MutablePlaneView, MutablePlaneView)] {
        let (from, to) = (try source.mutablePlaneView(plane), try target.mutablePlaneView(plane))
        switch self {
        case .frame: return [(from, to)]
        case .fields: return [(from.field(0), to.field(0)), (from.field(1), to.field(1))]
        case let .firstField(bottom): return [(from.field(bottom ? 1 : 0), to)]
        }
    }

    /// The size of plane `plane` of `source` as the upscaler sees it.
    func sourceSize(_ plane: Int, of source: VideoFrame) throws(PipelineError) -> PlaneSize {
        planned(try source.mutablePlaneView(plane).size, output: false)
    }

    /// Flags an output frame as what it now is.
    func label(_ frame: VideoFrame) {
        if case .firstField = self { frame.isInterlaced = false }
    }
}

extension MutablePlaneView {
    /// The lines of one field: 0, the top field (lines 0, 2, ...), or 1, the bottom one.
    func field(_ parity: Int) -> MutablePlaneView {
        MutablePlaneView(base: base + parity * bytesPerRow, size: PlaneSize(width: size.width, height: (size.height + 1 - parity) / 2),
                         bytesPerRow: 2 * bytesPerRow, bitDepth: bitDepth)
    }
}
