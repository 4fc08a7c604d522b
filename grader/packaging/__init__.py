"""Ready-to-use packaging of the grader for CI and Gradescope.

``grader ci github``: a GitHub Actions workflow for the staff's repository (course + submissions/): grades
on every push with the seed from a repository secret, keeps the gradebook between runs, uploads the reports
and publishes junit.xml as a check. ``grader ci classroom``: a workflow for GitHub Classroom's student
repositories: the public checks against a student kit, reported in the format of Classroom's autograding
reporter (``classroom_result``). ``grader gradescope OUT.zip``: a Gradescope autograder archive
(``gradescope_zip`` builds it, ``autograder`` runs inside Gradescope's container).
"""
