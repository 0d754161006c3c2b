"""Areas, lines and sites: the map a mission watches."""
