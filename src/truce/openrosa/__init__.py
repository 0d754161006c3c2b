"""OpenRosa server for ODK Collect, KoboCollect and Enketo: forms built from the mission, devices, submissions."""
