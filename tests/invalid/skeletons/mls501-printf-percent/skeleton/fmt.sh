#!/bin/sh
printf '{%s}' x
