"""Analysis: paired comparisons, summaries, sensitivity indices, figures and reports.

Works on results tables; imports from the model and inputs, never from experiments.
"""
