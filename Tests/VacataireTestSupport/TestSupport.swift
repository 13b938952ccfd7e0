public enum VacataireTestSupport {}
