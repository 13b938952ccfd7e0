import VacataireCore

/// What a peer message asks or tells: the state machine's own message kinds, whose raw
/// value is the `kind` field on the wire (one type on both sides, no mapping).
public typealias PeerMessageKind = FailoverMessage.Kind
