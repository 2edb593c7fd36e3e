"""Members: identification, registration, profiles and what members see."""
