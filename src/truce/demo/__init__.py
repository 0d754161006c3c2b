"""The bundled demo mission."""
