public enum VacataireChecks {}
