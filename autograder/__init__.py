"""Module 11 (Recurrent Neural Networks): build the exercise and grade submissions."""
