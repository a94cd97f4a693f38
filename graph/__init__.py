"""The agent hierarchy: master supervisor -> domain supervisors -> specialists -> tools."""
