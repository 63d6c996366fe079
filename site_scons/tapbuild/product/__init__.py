"""What is built and how it is named: version, package names, INF, resources."""
