"""Campus Security Gateway: school security devices to the control room and the police."""

__version__ = "0.1.0"
