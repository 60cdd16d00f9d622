"""The docker platform: the same architecture as the aws platform on one Docker host (the local stack, single
servers), built with pulumi-docker from the same settings, alert catalog and policy pack."""
