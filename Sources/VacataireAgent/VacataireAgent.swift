/// VacataireAgent: the daemon behind `vacataire run`. It wires the check scheduler, the
/// peer link, the failover state machine, the service actions, the store and the notifier,
/// executing the machine's actions in order.
public enum VacataireAgent {}
