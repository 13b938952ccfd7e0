import XCTest
final class PlaceholderChecksTests: XCTestCase { func testNothing() {} }
