"""The HTTP gateway: one FastAPI app factory mounting the services' routers."""
