"""pwdemo-alpha: a test package for the prewarm pip script; needs pwdemo-beta."""
from pwdemo_beta import greeting


def hello():
    return greeting("alpha")
