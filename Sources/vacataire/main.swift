import VacataireCore
print(VacataireCore.version)
