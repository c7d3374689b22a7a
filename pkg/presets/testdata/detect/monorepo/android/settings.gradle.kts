rootProject.name = "android"
