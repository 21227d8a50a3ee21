"""Fairness: does who the candidate is (name, gender, age, nationality, family, religion) move their ranking?"""
