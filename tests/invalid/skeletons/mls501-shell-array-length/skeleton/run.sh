#!/bin/sh
arr=(a b)
echo "${#arr[@]}"
echo done
echo more
