"""MQTT adapter: one-button panic alarms (一键报警) and gate sensors."""
