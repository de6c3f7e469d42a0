"""Workers: the interface, the function worker, the decorator and their configuration."""
