import ArgumentParser
import Foundation

await VacataireCommand.runAsRoot()
