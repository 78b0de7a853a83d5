import CFFmpeg
import VideoCore

extension Rational {
    init(_ value: AVRational) { self.init(value.num, value.den) }

    var av: AVRational { AVRational(num: numerator, den: denominator) }
}
