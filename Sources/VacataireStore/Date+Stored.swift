import Foundation
import VacataireCore

extension Date {
    /// How the store keeps a time (`DateText.stored`). Bound as text, never as a `Date`:
    /// GRDB would format it with a `DateFormatter`, which opens ICU in an agent that
    /// otherwise never needs it.
    var storedText: String { DateText.stored(self) }
}
