"""The aws platform: ComponentResources over pulumi-aws v7, composed by ``platform.build``."""
