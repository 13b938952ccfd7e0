public enum VacataireNotify {}
