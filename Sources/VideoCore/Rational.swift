/// A rational number: time bases, frame rates and pixel aspect ratios, as FFmpeg and YUV4MPEG2 give them. The terms
/// are 32-bit, as in both.
public struct Rational: Hashable, Sendable, CustomStringConvertible {
    public var numerator: Int32
    public var denominator: Int32

    public init(_ numerator: Int32, _ denominator: Int32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Neither zero nor undefined (0/0 is FFmpeg's "unknown").
    public var isValid: Bool { numerator > 0 && denominator > 0 }
    public var doubleValue: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }
    public var description: String { "\(numerator)/\(denominator)" }
}
