"""What the package knows about its inputs and outputs, as data: the raw layouts (``layouts``)."""
