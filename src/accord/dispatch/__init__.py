"""Computer-aided dispatch: call intake, triage and unit recommendation, live board, CAP, EIDO."""
