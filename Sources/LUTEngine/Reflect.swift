/// NumPy 'reflect' extension of index `i` into 0..<n (the edge sample is not repeated): how both LUT engines pad
/// a plane.
@inline(__always)
func reflect(_ i: Int, _ n: Int) -> Int {
    guard n > 1 else { return 0 }
    let period = 2 * (n - 1)
    var m = i % period
    if m < 0 { m += period }
    return m < n ? m : period - m
}
