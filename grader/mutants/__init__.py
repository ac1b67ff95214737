"""Mutation testing of a rubric: does every check catch a mistake? (`grader validate --mutants`)"""

from grader.mutants.generate import generate
from grader.mutants.model import Mutant, MutantResult, MutationRun
from grader.mutants.run import run_mutants

__all__ = ["Mutant", "MutantResult", "MutationRun", "generate", "run_mutants"]
