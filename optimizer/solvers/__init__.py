"""Solvers shared by the model and the location kernels: statuses, HiGHS, CBC, MIP passing."""
