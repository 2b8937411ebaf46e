/// 8-bit RGB pixels, rows top to bottom, `R G B` per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB pixels must hold width × height × 3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
