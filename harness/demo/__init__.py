"""``make demo``: an order-processing workflow run by the three worker styles."""
