"""Configuration: pydantic models (`models`) and the YAML loader (`loader`)."""
