"""pwdemo-beta: a test package for the prewarm pip script."""


def greeting(name):
    return "hello from " + name + " via beta"
