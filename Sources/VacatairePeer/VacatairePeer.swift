public enum VacatairePeer {}
