"""opsgraph as a Saleor App: the manifest Saleor installs from and the register handshake."""
