import Foundation
import XCTest
import Imaging

/// The repository's own sample images (`Images/`) all decode, at the sizes they are.
final class SampleImagesTests: XCTestCase {
    static let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Images").path

    func testPhotographsDecode() throws {
        let expected: [String: (Int, Int)] = [
            "astronaut/astronaut.png": (512, 512), "cat/chelsea.png": (451, 300),
            "coffee/coffee.png": (600, 400), "rocket/rocket.jpg": (640, 427),
            "galaxy/hubble_deep_field.jpg": (1000, 872)
        ]
        for (name, size) in expected {
            let image = try ImageDecoder.decode(path: Self.images + "/photos/" + name)
            XCTAssertEqual(image.width, size.0, name)
            XCTAssertEqual(image.height, size.1, name)
        }
    }

    func testDemoRendersDecode() throws {
        let classes = try FileManager.default.contentsOfDirectory(atPath: Self.images + "/demo").filter { !$0.hasPrefix(".") }
        XCTAssertEqual(classes.count, 40)
        for c in classes {
            for file in try FileManager.default.contentsOfDirectory(atPath: Self.images + "/demo/" + c) {
                let image = try ImageDecoder.decode(path: Self.images + "/demo/\(c)/\(file)")
                XCTAssertEqual(image.width, 224)
                XCTAssertEqual(image.height, 224)
            }
        }
    }
}
