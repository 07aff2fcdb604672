"""Small framework-light helpers shared by forms and services."""
