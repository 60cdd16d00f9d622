"""webstack's components: settings, naming and the ComponentResources of each platform."""
