# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""AWS keys in CCKM, in four layers: ``read`` (views and lookups), ``desired`` (options -> desired state),
``plan`` (pure: current + desired -> actions, predict) and ``apply`` (send the actions; the aws_key Resource).

Each layer imports only the ones before it.
"""
