import XCTest
final class PlaceholderNotifyTests: XCTestCase { func testNothing() {} }
