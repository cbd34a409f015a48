"""The Qt side of the reader: adapts :mod:`reader.core` objects to Qt models, widgets and worker threads."""
