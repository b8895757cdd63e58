"""Qt-free rules of the app (states, review order, measurements, summaries), tested without Qt."""
