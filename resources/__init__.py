"""Icons and stylesheets, installed as the package ``reader.resources`` and read with importlib.resources."""
